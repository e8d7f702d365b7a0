"""Capitals and seats of government read as their countries, for the semantic lookup."""

import pytest

from lookup.metonyms import resolve


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        (
            "Tokyo imposed only toothless penalties on Moscow",
            "Japan imposed only toothless penalties on Russia",
        ),
        ("Tokyo let the Kremlin's envoys stay", "Japan let Russia's envoys stay"),
        ("The Kremlin would give back two islands", "Russia would give back two islands"),
        ("The White House and the Elysée disagreed", "The United States and France disagreed"),
        ("Washington called the shots", "The United States called the shots"),
        ("Tokyo sided with Washington", "Japan sided with the United States"),
        ("the Washington line on Moscow", "the United States line on Russia"),
        ("Moscow-backed rebels", "Russia-backed rebels"),
        (
            "While Beijing watched, Seoul and Pyongyang talked",
            "While China watched, South Korea and North Korea talked",
        ),
        (
            "the Russian embassy in Tokyo praised Japan",
            "the Russian embassy in Japan praised Japan",
        ),
    ],
)
def test_capitals_and_seats_of_government_become_their_countries(written, resolved):
    assert resolve(written) == resolved


@pytest.mark.parametrize(
    "text",
    [
        "The Washington Post reported it first",
        "She interviewed George Washington's biographer",
        "He grew up in Greater London",
        "The Tokyo Olympics were held in 2021",
        "Tokyo-Narita is the busiest airport",
        "Japan and Russia never signed a peace treaty",
        "Romeo, Parisians and Moscovites",
        "LONDON - Britain spent the week lining up its friends",
    ],
)
def test_names_that_are_part_of_longer_names_or_other_words_are_left_alone(text):
    assert resolve(text) == text
