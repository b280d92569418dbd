# Salt-segmentation course assignment. `make help` lists the targets.
# Every target that needs Python creates .venv and installs the package on
# first use; it reinstalls only when pyproject.toml changes.

include mk/venv.mk
include mk/student.mk
SUBMISSIONS ?=
OUT ?= out/grades
GRADE_ARGS ?=
GRADESCOPE_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: check stubs fixtures bench bench-grade release gradescope grade notebooks clean

check: $(STAMP) ## the project's test command: everything CI runs
	@$(PY) -m saltlab.authoring.stubgen --check
	@$(PY) -m saltlab.checks.fixtures --check
	$(PY) -m pytest selftests -q -rfE --durations=25
	$(PY) -m pytest tests -q -rfE --impl solutions
	$(PY) -m pytest -q --doctest-modules saltlab solutions grader/report.py grader/untrusted.py grader/plan.py grader/warm_start.py grader/batch.py grader/collect.py grader/explain.py grader/figures.py

stubs: $(STAMP) ## regenerate assignment/ stubs from solutions/
	@$(PY) -m saltlab.authoring.stubgen

fixtures: $(STAMP) ## recompute the reference answers stored in tests/fixtures/
	@$(PY) -m saltlab.checks.fixtures

bench: $(STAMP) ## benchmarks, written as JSON under out/bench/
	@$(PY) -m saltlab.benchmarks.input_pipeline --out out/bench/input_pipeline.json
	@$(PY) -m saltlab.benchmarks.public_suite --out out/bench/public_suite.json

grade: $(STAMP) ## grade every submission: make grade SUBMISSIONS=<folder> OUT=<folder> [GRADE_ARGS="--jobs 2 --force"]
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=<folder of student folders or zips> [OUT=out/grades]"; exit 2)
	@$(PY) -m grader grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_ARGS)

bench-grade: $(STAMP) ## time the grader (sandbox + worker) against in-process checks, JSON in out/bench/
	@$(PY) -m grader bench --out out/bench/grading.json

notebooks: $(STAMP) ## release the nbgrader notebooks from solutions/ into assignment/
	@$(PY) -m saltlab.authoring.notebooks release

gradescope: $(STAMP) ## build release/autograder.zip for Gradescope (GRADESCOPE_ARGS="--seed N --leaderboard")
	@$(PY) -m grader.gradescope --out release/autograder.zip $(GRADESCOPE_ARGS)

release: $(STAMP) ## build the student bundle in release/ (folder and zip)
	@$(PY) -m saltlab.authoring.release

clean: ## remove generated output (keeps .venv and data/)
	rm -rf out release
