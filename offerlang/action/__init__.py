"""The GitHub Action (action.yml at the repository root): its logic, kept in Python so that it
is unit-tested rather than hidden in YAML and shell. `python -m offerlang.action STEP`:

    review   fmt --check, check --format github, and diff --base against the pull request's
             base; writes the comment, the HTML card and the verdict to OFFER_WORK
    comment  posts or updates the one sticky pull-request comment (or, when the token cannot
             write, as on a pull request from a fork, writes the job summary instead)
    verdict  the job's exit code: 1 when formatting or checks failed, else 0

Inputs come from the environment only (action.yml maps `inputs.*` to OFFER_* variables), never
from text interpolated into a shell script.
"""
