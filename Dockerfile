# The grader's image for a cluster (grader/cluster/kubernetes-job.yaml): the repository, its
# pinned Python packages and bubblewrap. Build from the repository's root:
#   docker build -t <registry>/saltlab-grader:<term> .
# It holds the reference and the hidden cases: push it to a private registry only.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap util-linux \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/saltlab
COPY pyproject.toml README.md ./
COPY saltlab ./saltlab
RUN pip install --no-cache-dir .
COPY grader ./grader
COPY solutions ./solutions
COPY tests/rubric.toml ./tests/rubric.toml
ENV TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=1
ENTRYPOINT []
