"""The worker: imports one submission and answers probe requests, nothing more.

Started by the grader as ``python -m grader.worker <submission folder>``,
inside the sandbox (:mod:`grader.sandbox`). It decides nothing: for each
request ``{"seq", "check_id", "case_id", "params", "arrays"}`` it runs the
check's probe on the submission (:func:`saltlab.checks.core.run_probe`) and
sends back ``{"seq", "outcome": Outcome.to_plain()}``. Verdicts, expected
answers and secret data (validation masks) stay in the grader's process.

Channels: requests arrive on fd 0 and frames leave on fd 1, but both are
moved to private descriptors before any student code runs. Then fd 0 reads
``/dev/null`` and fd 1 points at fd 2 (the grader's size-capped log), so a
student's ``print`` or ``input`` cannot touch the protocol.

TensorFlow and Keras are imported first, once per worker; then the worker
waits for the load request ``{"seq": 0, "load": true}`` before it imports
the submission. The grader may so start a worker ahead of time, while it
grades the previous student (:mod:`grader.warm_start`): only this trusted
code runs before the request, never the student's. The first frame the
worker writes is the import report ``{"seq": 0, "ready": bool, "kind",
"error"}``.

This file is bound into the sandbox: it must not hold hidden cases or
reference code, and imports only :mod:`saltlab` and :mod:`grader.protocol`.
"""

import os
import sys


def _private_channels():
    """Move the protocol off fds 0 and 1; point those at /dev/null and the log."""
    requests = os.dup(0)
    responses = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # print() now lands in the log the grader caps
    return requests, responses


def _import_report(folder):
    """Load the submission; return ``(impl, report)`` with report the first frame."""
    from saltlab.impl import load_implementation

    try:
        impl = load_implementation(folder)
    except BaseException as error:  # SystemExit or os-level tricks at import count too
        cause = error.__cause__ if error.__cause__ is not None else error
        kind = "syntax error" if isinstance(cause, SyntaxError) else "import error"
        text = str(error).strip() or type(error).__name__
        if type(error).__name__ != "ImplementationError":
            text = f"{type(error).__name__}: {text}"
        return None, {"seq": 0, "ready": False, "kind": kind, "error": text[:2000]}
    return impl, {"seq": 0, "ready": True, "kind": "", "error": ""}


def _answer(impl, request):
    """Run one probe; whatever the student's code does becomes an Outcome."""
    from saltlab.checks.core import Case, Outcome, get_check, run_probe

    check = get_check(str(request["check_id"]))
    case = Case(str(request["case_id"]), dict(request["params"]), dict(request["arrays"]))
    try:
        return run_probe(check, impl, case)
    except BaseException as error:  # sys.exit() or KeyboardInterrupt inside a graded function
        return Outcome("error", detail=f"{type(error).__name__}: {str(error)[:300]} (raised while {check.function} ran)")


def main(argv=None):
    """Serve requests until the grader closes the channel.

    Parameters
    ----------
    argv : list of str, optional
        ``[<submission folder>]``; defaults to ``sys.argv[1:]``.
    """
    argv = sys.argv[1:] if argv is None else argv
    requests, responses = _private_channels()
    from grader import protocol  # after the fds move: nothing may print on the channel

    import saltlab  # noqa: F401  (quiets TensorFlow's start-up log)
    from saltlab.seeding import pin_grading_threads

    pin_grading_threads()  # same numbers whatever the machine's core count
    import keras  # noqa: F401  (TensorFlow loads here, once per worker)
    from saltlab.checks import all_checks  # noqa: F401
    from saltlab.checks.plaindata import PlainDataError
    from saltlab.checks.training_checks import TRAININGS_AHEAD

    TRAININGS_AHEAD.enabled = True  # the other public trainings start when the first has built

    try:
        request = protocol.read_frame(requests, max_bytes=protocol.MAX_REQUEST_BYTES)
    except protocol.ProtocolError:
        return 0  # closed before the load request: a worker started ahead and not needed
    if request.get("load") is not True:
        return 2
    impl, report = _import_report(argv[0])
    protocol.write_frame(responses, report)
    if impl is None:
        return 0
    while True:
        try:
            request = protocol.read_frame(requests, max_bytes=protocol.MAX_REQUEST_BYTES)
        except protocol.ProtocolError:
            return 0  # the grader closed the channel: done
        outcome = _answer(impl, request)
        response = {"seq": request.get("seq"), "outcome": outcome.to_plain()}
        try:
            protocol.write_frame(responses, response)
        except PlainDataError as error:  # run_probe forces plain data; belt and braces
            protocol.write_frame(responses, {"seq": request.get("seq"), "outcome": {
                "status": "error", "answer": {}, "detail": f"the answer is not plain data: {error}"}})


if __name__ == "__main__":
    sys.exit(main())
