"""Typed answers judged like a fair examiner: each rule pinned with literal examples from the bank's subjects."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.content import QuestionType, load_bank
from bot.domain.grading import Glossary, grade_choice, grade_text

BANK = load_bank(REPO_ROOT / "content")
GLOSSARY = Glossary.from_groups(BANK.synonyms)


def ok(attempt: str, *accepted: str) -> bool:
    return bool(grade_text(attempt, accepted, GLOSSARY))


# --- accepts --------------------------------------------------------------------

@pytest.mark.parametrize(
    "attempt, accepted",
    [
        ("pipe mode", "Pipe mode"),  # case
        ("PIPE   MODE", "Pipe mode"),  # whitespace
        ("Pipe mode.", "Pipe mode"),  # punctuation
        ("pipe", "Pipe mode"),  # generic word omitted
        ("Pipe input mode", "Pipe mode"),  # generic word added
        ("scale pos weight", "scale_pos_weight"),  # underscores as spaces
        ("ShardedByS3Key", "ShardedByS3Key"),
        ("sharded by s3 key", "ShardedByS3Key"),  # same letters, other spacing
        ("personalise", "Amazon Personalize"),  # typo in a long word
        ("Comprehnd", "Amazon Comprehend"),  # dropped letter in a long word
        ("random cut forrest", "Random Cut Forest"),  # typo inside a glossary phrase
        ("four", "4"),  # number as a word
        ("4 shards", "4"),  # number with its unit
        ("twenty five", "25"),
        ("1,000", "1000"),
        ("RCF", "Random Cut Forest"),  # abbreviation from the glossary
        ("KCL", "Kinesis Client Library"),
        ("Kinesis Data Firehose", "Amazon Data Firehose"),  # former service name
        ("Kinesis Firehose", "Amazon Data Firehose"),
        ("Amazon Data Firehose", "Kinesis Data Firehose"),  # and the other way round
        ("Kinesis Data Analytics", "Amazon Managed Service for Apache Flink"),
        ("sensitivity", "Recall"),  # ML synonym
        ("TPR", "Recall"),
        ("comprehend", "Amazon Comprehend"),  # vendor prefix omitted
        ("I think it's pipe mode", "Pipe mode"),  # filler around the answer
        ("the answer is probably RCF", "Random Cut Forest"),
        ("Batch Transform", "SageMaker Batch Transform"),
        ("L1", "L1 regularization"),
        ("lasso", "L1 regularization"),
        ("about 99.7 percent", "99.7%"),  # hedging words around a number are filler
        ("approximately 95%", "95%"),
        ("1/3", "1/3"),  # a fraction is one number, not "1 or 3"
        ("(2,16)", "(2, 16)"),
        ("-20000", "-20,000"),
        ("tf-idf", "TF-IDF"),
        ("RCF (Random Cut Forest)", "Random Cut Forest"),  # the same answer named twice
        ("TLS (Transport Layer Security)", "TLS"),
    ],
)
def test_accepts(attempt: str, accepted: str):
    assert ok(attempt, accepted), attempt


def test_listed_variant_counts():
    verdict = grade_text("median imputation", ["Median", "median imputation"], GLOSSARY)
    assert verdict and verdict.reason == "variant"
    verdict = grade_text("File", ["File mode", "file input mode"], GLOSSARY)
    assert verdict


# --- rejects --------------------------------------------------------------------

@pytest.mark.parametrize(
    "attempt, accepted",
    [
        ("Kinesis Data Streams", "Kinesis Data Firehose"),  # the word that matters
        ("Kinesis Data Firehose", "Kinesis Data Streams"),
        ("L1", "L2 regularization"),
        ("L2", "L1"),
        ("File mode", "Pipe mode"),
        ("Fast File mode", "File mode"),  # an extra word that changes the thing
        ("precision", "Recall"),
        ("recall", "Precision"),
        ("3", "4"),
        ("three shards", "4"),
        ("8080", "80"),
        ("80", "8080"),
        ("0.5", "0.05"),
        ("4 GB", "4 MB"),  # a different unit
        ("not pipe mode", "Pipe mode"),
        ("lamda", "lambda"),  # no typos in short words
        ("Macie", "Amazon Polly"),
        ("Transcribe", "Amazon Translate"),
        ("Textract", "Amazon Transcribe"),
        ("3/1", "1/3"),  # an inverted fraction
        ("1 or 3", "1/3"),
        ("(16, 2)", "(2, 16)"),  # several numbers are an ordered answer
        ("20000", "-20,000"),  # the sign matters
        ("-1", "1"),
    ],
)
def test_rejects_near_misses(attempt: str, accepted: str):
    assert not ok(attempt, accepted), attempt


@pytest.mark.parametrize(
    "attempt", ["Pipe mode or File mode", "either pipe or file", "pipe / file", "File mode vs Pipe mode"]
)
def test_rejects_hedges(attempt: str):
    verdict = grade_text(attempt, ["Pipe mode"], GLOSSARY)
    assert not verdict and verdict.reason == "hedged" and verdict.hint


def test_two_names_for_the_same_answer_are_not_a_hedge():
    assert ok("RCF or Random Cut Forest", "Random Cut Forest")


@pytest.mark.parametrize("attempt", ["", "   ", "?!", "...", "🙂", "um"])
def test_rejects_empty(attempt: str):
    verdict = grade_text(attempt, ["Pipe mode"], GLOSSARY)
    assert not verdict and verdict.reason == "empty"


@pytest.mark.parametrize("attempt", ["asdfghjkl", "qwerty", "zzzz", "jjjjjj"])
def test_rejects_keyboard_mash_without_pretending_it_was_close(attempt: str):
    verdict = grade_text(attempt, ["Random Cut Forest"], GLOSSARY)
    assert not verdict and not verdict.close


def test_too_long_is_not_an_answer():
    verdict = grade_text("pipe " * 200, ["Pipe mode"], GLOSSARY)
    assert not verdict and verdict.reason == "too_long"


# --- close misses explain themselves ------------------------------------------------

def test_close_miss_says_what_differs():
    verdict = grade_text("Kinesis Data Streams", ["Kinesis Data Firehose"], GLOSSARY)
    assert not verdict and verdict.close
    assert verdict.expected == "Kinesis Data Firehose"
    assert "Kinesis Data Streams" in verdict.hint and "Firehose" in verdict.hint

    verdict = grade_text("3", ["4"], GLOSSARY)
    assert verdict.close and "3" in verdict.hint and "4" in verdict.hint

    verdict = grade_text("Fast File mode", ["File mode"], GLOSSARY)
    assert verdict.close and "fast" in verdict.hint


def test_glossary_never_merges_different_things():
    groups = [set(map(str.casefold, g)) for g in BANK.synonyms]
    apart = [("kinesis data streams", "amazon data firehose"), ("precision", "recall"), ("l1", "l2"),
             ("sensitivity", "specificity"), ("kinesis video streams", "kinesis data streams")]
    for a, b in apart:
        assert not any(a in g and b in g for g in groups), (a, b)
    names = [n.casefold() for g in BANK.synonyms for n in g]
    assert len(names) == len(set(names)), "a name appears in two glossary groups"


def test_every_fill_question_accepts_its_own_answers():
    fills = [q for q in BANK.questions if q.type is QuestionType.fill]
    assert fills
    for q in fills:
        for answer in q.accepted_answers:
            assert grade_text(answer, q.accepted_answers, GLOSSARY), (q.id, answer)
            assert grade_text(answer.upper() + "!", q.accepted_answers, GLOSSARY), (q.id, answer)


def test_choice_grading_needs_exactly_the_right_set():
    assert grade_choice([1], [1])
    assert grade_choice([3, 0], [0, 3])
    assert not grade_choice([0], [0, 3])
    assert not grade_choice([0, 1, 3], [0, 3])
    assert not grade_choice([], [2])


# --- beyond the basics: long and short forms, former names, typos in several words, spacing, units, glosses ---

@pytest.mark.parametrize(
    "attempt, accepted",
    [
        ("Random Cut Forest", "Random Cut Forest (RCF)"),  # the long form of "Long Name (ABBR)"
        ("RCF", "Random Cut Forest (RCF)"),  # or the short one
        ("Inter-container traffic encryption", "Inter-container traffic encryption (ICTE)"),
        ("ICTE", "Inter-container traffic encryption (ICTE)"),
        ("Amazon Data Firehose", "Amazon Data Firehose (formerly Kinesis Data Firehose)"),  # current name
        ("Kinesis Data Firehose", "Amazon Data Firehose (formerly Kinesis Data Firehose)"),  # former name
        ("Quick Sight", "Amazon Quick Sight (formerly QuickSight)"),
        ("QuickSight", "Amazon Quick Sight (formerly QuickSight)"),
        ("Elastik Map Redcue", "Elastic MapReduce"),  # a small typo in each of several words
        ("Elastik MapRedcue", "Elastic MapReduce"),
        ("Recomendation Enginee", "Recommendation Engine"),
        ("Data Brew", "DataBrew"),  # with or without a space
        ("DataBrew", "Glue Data Brew"),
        ("Sage Maker Pipelines", "SageMaker Pipelines"),
        ("14 days", "2 weeks"),  # the same duration in another unit
        ("336 hours", "2 weeks"),
        ("2 weeks", "14 days"),
        ("1 day", "24 hours"),
        ("90 minutes", "1.5 hours"),
        ("1024 GB", "1 TB"),  # the same size in another unit
        ("1 TB", "1024 GB"),
        ("1000 MB", "1 GB"),
        ("runtime (the Neo runtime)", "runtime"),  # a right answer followed by a short gloss
        ("Data capture (endpoint DataCaptureConfig)", "Data capture"),
        ("Pipe mode (streams from S3)", "Pipe mode"),
    ],
)
def test_accepts_what_a_fair_examiner_would(attempt: str, accepted: str):
    assert ok(attempt, accepted), attempt


@pytest.mark.parametrize(
    "attempt, accepted",
    [
        ("default", "Random Cut Forest (the default detector)"),  # a parenthesis that is not an abbreviation
        ("the default detector", "Random Cut Forest (the default detector)"),
        ("Kinesis Data Streams", "Amazon Data Firehose (formerly Kinesis Data Firehose)"),
        ("Elastic Beanstalk", "Elastic MapReduce"),
        ("13 days", "2 weeks"),  # a different quantity
        ("2 days", "2 weeks"),
        ("14 GB", "2 weeks"),  # another kind of unit
        ("1 GB", "1 TB"),
        ("File mode (not Pipe mode)", "Pipe mode"),  # the gloss does not rescue a wrong answer
        ("Pipe mode (or File mode)", "Pipe mode"),  # a hedge hidden in the gloss
        ("SageMaker Now", "SageMaker Neo"),  # the word that matters, misspelt into another word
        ("Data Crew", "DataBrew"),
    ],
)
def test_still_rejects_near_misses_after_the_new_rules(attempt: str, accepted: str):
    assert not ok(attempt, accepted), attempt
