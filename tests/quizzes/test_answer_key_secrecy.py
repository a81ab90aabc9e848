"""Nothing in the answering page's markup tells the key: not names, values, ids nor order.

Many attempts are rendered through the real routes and every way of reading the key from
the HTML that worked before tokens ("ordering = field names sorted", "the matching option
whose value equals the field's number", "the first option is correct"...) is tried on them:
none may do better than chance. The same readers are run on markup shaped as the page was
before, where they find the whole key, so they are able to.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from jinja2 import Template
from sqlalchemy import update

from ecampus.extensions import db
from ecampus.quizzes.models import GRADED, Attempt
from tests.quizzes.test_attempts import _module_id

ATTEMPTS = 200

FORUM = ["The UN Security Council", "The International Migration Review Forum",
         "The World Trade Organization"]
FORUM_RIGHT = "The International Migration Review Forum"
DURABLE_RIGHT = {"Voluntary repatriation", "Local integration", "Resettlement"}
STAGES_RIGHT = ["Announce the consultation", "Collect contributions", "Publish a summary"]
INSTRUMENTS_RIGHT = {"Palermo Protocol": "Trafficking in persons",
                     "1951 Convention": "Refugee status",
                     "ICRMW": "Rights of migrant workers"}


class Page(HTMLParser):
    """Every form control of the page per fieldset, in document order, with its label."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.questions: list[list[dict]] = []
        self.texts: dict[str, str] = {}
        self._text_for: str | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._in_fieldset = False
        self.feed(html)
        for controls in self.questions:
            for control in controls:
                control["label"] = self.texts.get(control["id"], "").strip()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self.questions.append([])
            self._in_fieldset = True
        elif not self._in_fieldset:
            return
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox", "text"):
            self.questions[-1].append({"name": attrs["name"], "id": attrs["id"],
                                       "value": attrs.get("value", "")})
        elif tag == "select":
            self._select = {"name": attrs["name"], "id": attrs["id"], "options": [],
                            "labelledby": attrs.get("aria-labelledby")}
            self.questions[-1].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value", ""), "text": ""}
            self._select["options"].append(self._option)
        elif tag == "label" and "for" in attrs:
            self._text_for = attrs["for"]
        elif tag == "span" and attrs.get("id", "").endswith("-label"):
            self._text_for = attrs["id"][: -len("-label")]

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._in_fieldset = False
        elif tag in ("label", "span"):
            self._text_for = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._text_for is not None:
            self.texts[self._text_for] = self.texts.get(self._text_for, "") + data


def _by(controls, attribute):
    return sorted(controls, key=lambda c: c[attribute])


# Each reader takes one question's controls and returns its guess at the key.

def single_readers(controls):
    guesses = {}
    for attribute in ("value", "id"):
        for rank, control in enumerate(_by(controls, attribute)):
            guesses[f"{attribute} sorts {rank + 1}"] = control["label"]
    for rank, control in enumerate(controls):
        guesses[f"option {rank + 1} in the page"] = control["label"]
    return guesses


def multiple_readers(controls):
    """Three of four options are right: guess them by leaving out one."""
    guesses = {}
    orders = {"value": _by(controls, "value"), "id": _by(controls, "id"), "page": controls}
    for name, ordered in orders.items():
        for rank in range(len(ordered)):
            guesses[f"all but {name} {rank + 1}"] = frozenset(
                c["label"] for i, c in enumerate(ordered) if i != rank)
    return guesses


def ordering_readers(controls):
    labels = [c["label"] for c in controls]
    return {
        "field names sorted": [c["label"] for c in _by(controls, "name")],
        "field names sorted backwards": [c["label"] for c in _by(controls, "name")][::-1],
        "ids sorted": [c["label"] for c in _by(controls, "id")],
        "number at the end of the name": [c["label"] for c in sorted(
            controls, key=lambda c: re.findall(r"\d+|$", c["name"])[-1])],
        "page order": labels,
        "page order backwards": labels[::-1],
    }


def matching_readers(controls):
    """Guesses per left-hand item, as {left text: right text}."""
    guesses = defaultdict(dict)
    names = [c["name"] for c in controls]
    for index, control in enumerate(controls):
        options = [o for o in control["options"] if o["value"]]
        values = sorted(options, key=lambda o: o["value"])
        suffix = control["name"].rsplit("-", 1)[-1]
        same = next((o for o in options if o["value"] == suffix), None)
        guesses["value equals the field's number"][control["label"]] = same and same["text"]
        rank = sorted(names).index(control["name"])
        guesses["value sorts as the field's name"][control["label"]] = values[rank]["text"]
        guesses["option at the field's place"][control["label"]] = options[index]["text"]
        guesses["first option"][control["label"]] = options[0]["text"]
    return dict(guesses)


def bound(chance: float, trials: int) -> float:
    """Chance plus five standard deviations: a reader at chance stays under it (p < 1e-6)."""
    return chance + 5 * math.sqrt(chance * (1 - chance) / trials)


def score(pages: list[Page]) -> dict[tuple[str, str], float]:
    """The share of attempts in which each reader found the key of each question type."""
    hits: dict[tuple[str, str], float] = defaultdict(float)
    for page in pages:
        forum, durable, _year, _share, _principle, stages, instruments = page.questions
        for name, guess in single_readers(forum).items():
            hits["single", name] += guess == FORUM_RIGHT
        for name, guess in multiple_readers(durable).items():
            hits["multiple", name] += guess == DURABLE_RIGHT
        for name, guess in ordering_readers(stages).items():
            hits["ordering", name] += guess == STAGES_RIGHT
        for name, guess in matching_readers(instruments).items():
            right = sum(guess.get(left) == r for left, r in INSTRUMENTS_RIGHT.items())
            hits["matching", name] += right / len(INSTRUMENTS_RIGHT)
    return {key: count / len(pages) for key, count in hits.items()}


CHANCE = {"single": 1 / 3, "multiple": 1 / 4, "ordering": 1 / 6, "matching": 1 / 3}

# The answering page's markup before form tokens, reduced to the controls.
BEFORE = Template("""
{% for q in questions %}{% set name = 'q-' ~ q.id %}<fieldset>
{% if q.type in ('single', 'multiple') %}{% for oid in q.display %}
<input type="{{ 'radio' if q.type == 'single' else 'checkbox' }}" id="{{ name }}-{{ oid }}"
 name="{{ name }}" value="{{ oid }}"><label for="{{ name }}-{{ oid }}">{{
 (q.options|selectattr('id', 'equalto', oid)|first).html|striptags }}</label>
{% endfor %}{% elif q.type in ('numeric', 'short') %}
<input type="text" id="{{ name }}" name="{{ name }}">
{% elif q.type == 'ordering' %}{% for iid in q.display %}
<select id="{{ name }}-{{ iid }}" name="{{ name }}-{{ iid }}"
 aria-labelledby="{{ name }}-{{ iid }}-label"><option value="">Position</option>
{% for n in range(1, q['items']|length + 1) %}<option value="{{ n }}">{{ n }}</option>{% endfor %}
</select><span id="{{ name }}-{{ iid }}-label">{{
 (q['items']|selectattr('id', 'equalto', iid)|first).html|striptags }}</span>
{% endfor %}{% elif q.type == 'matching' %}{% for p in q.pairs %}
<label for="{{ name }}-{{ p.id }}">{{ p.left_html|striptags }}</label>
<select id="{{ name }}-{{ p.id }}" name="{{ name }}-{{ p.id }}"><option value="">Choose</option>
{% for rid in q.display %}<option value="{{ rid }}">{{
 (q.pairs|selectattr('id', 'equalto', rid)|first).right_html|striptags }}</option>{% endfor %}
</select>{% endfor %}{% endif %}</fieldset>{% endfor %}
""")


def take_attempts(app, client, count: int) -> list[tuple[str, list[dict]]]:
    """Start, show and submit `count` attempts; each page's HTML with the attempt's snapshot."""
    module_id = _module_id(app)
    pages = []
    for _ in range(count):
        started = client.submit(f"/quizzes/{module_id}/start")
        attempt_id = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
        html = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
        with app.app_context():
            questions = db.session.get(Attempt, attempt_id).questions
            # Closed directly: grading is not what is looked at here, and it is slow.
            db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                               .values(status=GRADED, score=0.0, passed=False))
            db.session.commit()
        pages.append((html, questions))
    return pages


@pytest.fixture
def shuffled(app, client, learner, quiz_course):
    """A learner enrolled in the quiz with shuffled questions and options."""
    quiz_course("shuffle: true")
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    return client


def by_id(questions) -> list[dict]:
    """The snapshot in the quiz's order, as the readers expect the fieldsets."""
    order = ["forum", "durable", "year", "share", "principle", "stages", "instruments"]
    return sorted(questions, key=lambda q: order.index(q["id"]))


def test_readers_find_the_whole_key_in_the_markup_used_before_tokens(app, shuffled):
    pages = [Page(BEFORE.render(questions=by_id(questions)))
             for _html, questions in take_attempts(app, shuffled, 20)]
    found = score(pages)
    for kind in CHANCE:
        assert max(rate for (k, _), rate in found.items() if k == kind) == 1.0, kind


def test_no_reader_does_better_than_chance_on_the_answering_page(app, shuffled):
    rendered = take_attempts(app, shuffled, ATTEMPTS)
    pages = []
    for html, questions in rendered:
        page = Page(html)
        # Shuffled questions: put the fieldsets back in the quiz's order by their prompts.
        order = [q["id"] for q in questions]
        page.questions = [page.questions[order.index(q["id"])] for q in by_id(questions)]
        pages.append(page)
    found = score(pages)
    assert len(found) > 30
    for (kind, reader), rate in found.items():
        assert rate <= bound(CHANCE[kind], ATTEMPTS), (kind, reader, rate)
    # No field keeps its name from one attempt to the next, for any question type.
    for index in range(7):
        names = [tuple(c["name"] for c in page.questions[index]) for page in pages]
        assert len(set(names)) == ATTEMPTS


def test_ordering_items_are_shuffled_even_when_the_quiz_is_not(app, enrolled):
    pages = [Page(html) for html, _questions in take_attempts(app, enrolled, 60)]
    orders = [tuple(c["label"] for c in page.questions[5]) for page in pages]
    in_order = sum(order == tuple(STAGES_RIGHT) for order in orders)
    assert len(set(orders)) == 6
    assert in_order / len(orders) <= bound(1 / 6, len(orders))
