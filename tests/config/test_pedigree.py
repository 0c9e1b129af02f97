from labpipe.config.pedigree import Member, Pedigree


def test_trios_need_both_parents_sequenced() -> None:
    pedigree = Pedigree(
        (
            Member("F1", "FAM1", sex="male", affected=False),
            Member("M1", "FAM1", sex="female", affected=False),
            Member("C1", "FAM1", father="F1", mother="M1", sex="male", affected=True),
            Member("C2", "FAM1", father="F1", mother="M1", sex="female", affected=False),
            Member("F2", "FAM2", sex="male", sequenced=False),
            Member("C3", "FAM2", father="F2", sex="female", affected=True),
        )
    )
    assert [trio.child.sample for trio in pedigree.trios()] == ["C1", "C2"]
    assert pedigree.trios()[0].father.is_male and pedigree.trios()[0].mother.is_female
    assert pedigree.sequenced_family_members("FAM2") == ("C3",)
    assert pedigree.is_family_sample("C1")
    assert not pedigree.is_family_sample("C3")  # alone with reads in its family
    assert not pedigree.is_family_sample("PK001")  # not declared: a singleton
    assert pedigree.parents("C3")[0] is not None and pedigree.parents("C3")[1] is None
    assert list(pedigree.families()) == ["FAM1", "FAM2"]
