"""Marking and bands: the rules of contract.md and the tables of ielts.md."""

import pytest

from exams.marking import band_for, is_correct, normalise
from exams.models import Module

# ielts.md, written out as ranges so the test reads like the table it checks.
IELTS_MD = {
    Module.LISTENING: {9: (39, 40), 8.5: (37, 38), 8: (35, 36), 7.5: (32, 34), 7: (30, 31), 6.5: (26, 29),
                       6: (23, 25), 5.5: (18, 22), 5: (16, 17), 4.5: (13, 15), 4: (10, 12), 3.5: (8, 9),
                       3: (6, 7), 2.5: (4, 5), 2: (2, 3), 1: (1, 1), 0: (0, 0)},
    Module.ACADEMIC_READING: {9: (39, 40), 8.5: (37, 38), 8: (35, 36), 7.5: (33, 34), 7: (30, 32),
                              6.5: (27, 29), 6: (23, 26), 5.5: (19, 22), 5: (15, 18), 4.5: (13, 14),
                              4: (10, 12), 3.5: (8, 9), 3: (6, 7), 2.5: (4, 5), 2: (2, 3), 1: (1, 1), 0: (0, 0)},
    Module.GENERAL_READING: {9: (40, 40), 8.5: (39, 39), 8: (37, 38), 7.5: (36, 36), 7: (34, 35),
                             6.5: (32, 33), 6: (30, 31), 5.5: (27, 29), 5: (23, 26), 4.5: (19, 22),
                             4: (15, 18), 3.5: (12, 14), 3: (9, 11), 2.5: (6, 8), 2: (2, 5), 1: (1, 1), 0: (0, 0)},
}  # fmt: skip


def expected_band(module, raw):
    return next(band for band, (low, high) in IELTS_MD[module].items() if low <= raw <= high)


@pytest.mark.parametrize("module", list(IELTS_MD))
@pytest.mark.parametrize("raw", range(41))
def test_every_raw_score_of_40_gets_the_band_of_ielts_md(module, raw):
    assert band_for(raw, 40, module=module) == expected_band(module, raw)


@pytest.mark.parametrize(
    ("score", "questions", "module", "band"),
    [
        (20, 20, Module.ACADEMIC_READING, 9.0),  # scaled to 40/40
        (15, 20, Module.ACADEMIC_READING, 7.0),  # 30/40
        (13, 20, Module.LISTENING, 6.5),  # 26/40
        (1, 3, Module.GENERAL_READING, 3.5),  # round(13.33) = 13 → 3.5 in General Training
        (0, 13, Module.LISTENING, 0.0),
    ],
)
def test_a_paper_of_other_than_40_questions_is_scaled_to_40(score, questions, module, band):
    assert band_for(score, questions, module=module) == band


def test_a_test_may_carry_its_own_band_table():
    own = [[36, 9], [30, 8], [20, 6], [0, 1]]
    assert band_for(36, 40, module=Module.LISTENING, table=own) == 9.0
    assert band_for(35, 40, module=Module.LISTENING, table=own) == 8.0
    assert band_for(19, 40, module=Module.LISTENING, table=own) == 1.0


@pytest.mark.parametrize(
    ("given", "accepted", "word_limit", "correct"),
    [
        ("TRUE", ["TRUE"], None, True),
        ("true", ["TRUE"], None, True),
        ("  True  ", ["TRUE"], None, True),
        ("red   wool", ["red wool"], 2, True),
        ("\tRed\nWool ", ["red wool"], 2, True),
        ("wool", ["red wool", "wool"], 2, True),  # any accepted answer counts
        ("the red wool", ["red wool", "the red wool"], 2, False),  # over the word limit is wrong even if listed
        ("red wool", ["red wool"], 1, False),
        ("redwool", ["red wool"], None, False),  # spelling must be right
        ("", ["TRUE"], None, False),
        ("   ", ["TRUE"], None, False),
        (None, ["TRUE"], None, False),
        ("FALSE", ["TRUE"], None, False),
        ("B", ["B"], None, True),
        ("B  timber, wool and salt", ["B"], None, False),  # options are display text, never matched
    ],
)
def test_marking_ignores_case_and_spacing_and_applies_the_word_limit(given, accepted, word_limit, correct):
    assert is_correct(given, accepted=accepted, word_limit=word_limit) is correct


def test_normalise_folds_case_and_every_run_of_white_space():
    assert normalise("  Ünïcode  CASE\t\tfold ") == "ünïcode case fold"
