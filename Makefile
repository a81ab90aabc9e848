# Everyday tasks. Each target is a plain command you can also run by hand.
PY ?= .venv/bin/python
BABEL = .venv/bin/pybabel

.PHONY: run test lint messages translations

run:
	python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/ecampus quickstart

test:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest

lint:
	.venv/bin/ruff check .

# Extract every translatable string and merge it into every language's catalog.
messages:
	$(BABEL) extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o ecampus/translations/messages.pot .
	$(BABEL) update -i ecampus/translations/messages.pot -d ecampus/translations --no-fuzzy-matching

# Compile the catalogs the app reads.
translations:
	$(BABEL) compile -d ecampus/translations
