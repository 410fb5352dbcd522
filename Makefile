PYTHON ?= python3

VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv report test clean

venv: $(STAMP)

# Create the virtualenv only if its interpreter is missing.
$(VPY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "$(PYTHON) is Python %d.%d; Python 3.11 is required (make PYTHON=python3.11)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip

# (Re)install only when pyproject.toml is newer than the stamp.
# The venv is an order-only prerequisite so its mtime never forces a reinstall.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -e '.[test]'
	touch $(STAMP)

report: venv
	$(VPY) -m sim report --replications 40

test: venv
	$(VPY) -m pytest -q

clean:
	rm -rf $(VENV) build dist .pytest_cache *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
