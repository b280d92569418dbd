# Salt-segmentation course assignment. `make help` lists the targets.
# Every target that needs Python creates .venv and installs the package on
# first use; it reinstalls only when pyproject.toml changes.

include mk/venv.mk
IMPL ?= assignment
Q ?=
DATA ?=
SUBMISSIONS ?=
OUT ?= out/grades
GRADE_ARGS ?=
GRADESCOPE_ARGS ?=
PRESET ?= quick

.DEFAULT_GOAL := help
.PHONY: test check stubs fixtures data inspect-data bench bench-grade release gradescope grade submit demo notebooks experiments clean

test: $(STAMP) ## run the public graders on your assignment/ (IMPL=solutions|<folder>, Q=<question>)
	@$(PY) -m pytest tests -q -rN --impl "$(IMPL)" $(if $(Q),--question "$(Q)")

check: $(STAMP) ## the project's test command: everything CI runs
	@$(PY) -m saltlab.stubgen --check
	@$(PY) -m saltlab.checks.fixtures --check
	$(PY) -m pytest selftests -q -rfE
	$(PY) -m pytest tests -q -rfE --impl solutions

stubs: $(STAMP) ## regenerate assignment/ stubs from solutions/
	@$(PY) -m saltlab.stubgen

fixtures: $(STAMP) ## recompute the reference answers stored in tests/fixtures/
	@$(PY) -m saltlab.checks.fixtures

data: $(STAMP) ## generate the synthetic dataset into data/synthetic/
	@$(PY) -m saltlab.data generate

inspect-data: $(STAMP) ## check a dataset folder: make inspect-data DATA=<folder>
	@test -n "$(DATA)" || (echo "usage: make inspect-data DATA=<folder with images/ and masks/>"; exit 2)
	@$(PY) -m saltlab.data inspect "$(DATA)"

bench: $(STAMP) ## benchmarks, written as JSON under out/bench/
	@$(PY) -m saltlab.data.bench --out out/bench/input_pipeline.json
	@$(PY) -m saltlab.checks.bench --out out/bench/public_suite.json

grade: $(STAMP) ## grade every submission: make grade SUBMISSIONS=<folder> OUT=<folder> [GRADE_ARGS="--jobs 2 --force"]
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=<folder of student folders or zips> [OUT=out/grades]"; exit 2)
	@$(PY) -m grader grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_ARGS)

bench-grade: $(STAMP) ## time the grader (sandbox + worker) against in-process checks, JSON in out/bench/
	@$(PY) -m grader bench --out out/bench/grading.json

submit: $(STAMP) ## zip your assignment/ (and notebooks) into out/submission.zip, ready to hand in
	@$(PY) -m saltlab.submit

demo: $(STAMP) ## train the reference U-Net briefly and write a report to out/demo/ (DATA=<kaggle folder> optional)
	@$(PY) -m saltlab.demo $(if $(DATA),--data "$(DATA)")

notebooks: $(STAMP) ## release the nbgrader notebooks from solutions/ into assignment/
	@$(PY) -m saltlab.notebooks release

experiments: $(STAMP) ## train the variants behind the course questions: PRESET=quick|full, DATA=<folder> optional
	@$(PY) -m saltlab.experiments --preset "$(PRESET)" $(if $(DATA),--data "$(DATA)")

gradescope: $(STAMP) ## build release/autograder.zip for Gradescope (GRADESCOPE_ARGS="--seed N --leaderboard")
	@$(PY) -m grader.gradescope --out release/autograder.zip $(GRADESCOPE_ARGS)

release: $(STAMP) ## build the student bundle in release/ (folder and zip)
	@$(PY) -m grader.release

clean: ## remove generated output (keeps .venv and data/)
	rm -rf out release
