"""A grading worker's program (`pool` starts one per job slot):
``python -m autodiff_lab.grading.worker`` serves jobs from stdin (`execution.serve`)."""

from .startup import skip_iri_grammars

skip_iri_grammars()  # before nbformat is imported, below

from .execution import serve  # noqa: E402

if __name__ == "__main__":
    serve()
