# The targets a student and an instructor share, included by the instructor
# Makefile and by the student bundle's (saltlab/authoring/student_bundle/Makefile).
# Needs mk/venv.mk first ($(STAMP), $(PY)).

IMPL ?= assignment
Q ?=
DATA ?=
PRESET ?= quick

.PHONY: test data inspect-data submit demo experiments

test: $(STAMP) ## run the public graders on your assignment/ (IMPL=solutions|<folder>, Q=<question>)
	@$(PY) -m pytest tests -q -rN --impl "$(IMPL)" $(if $(Q),--question "$(Q)")

data: $(STAMP) ## generate the synthetic dataset into data/synthetic/
	@$(PY) -m saltlab.data generate

inspect-data: $(STAMP) ## check a dataset folder: make inspect-data DATA=<folder>
	@test -n "$(DATA)" || (echo "usage: make inspect-data DATA=<folder with images/ and masks/>"; exit 2)
	@$(PY) -m saltlab.data inspect "$(DATA)"

submit: $(STAMP) ## zip your assignment/ (and notebooks) into out/submission.zip, ready to hand in
	@$(PY) -m saltlab.submit

demo: $(STAMP) ## train a U-Net briefly and write a report to out/demo/ (the reference's blocks when present, else yours; DATA=<kaggle folder>, COURSE=1 for the course's 128x128 network)
	@$(PY) -m saltlab.demo $(if $(DATA),--data "$(DATA)") $(if $(COURSE),--course)

experiments: $(STAMP) ## train the variants behind the course questions: PRESET=quick|standard|full, DATA=<folder>, JOBS=<n> optional
	@$(PY) -m saltlab.experiments --preset "$(PRESET)" $(if $(DATA),--data "$(DATA)") $(if $(JOBS),--jobs "$(JOBS)")
