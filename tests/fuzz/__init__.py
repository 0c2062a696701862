"""Coverage-guided fuzz targets (atheris), one per parser that sees client bytes.

Each module has ``TestOneInput(data: bytes)`` (asserts the parser's invariants) and ``main()``
(runs it under atheris with libFuzzer's arguments)::

    python -m tests.fuzz.fuzz_cookie_header -runs=100000 -max_len=4096 corpus/
    python -m tests.fuzz.fuzz_cookie_header -max_total_time=300 corpus/

``tests/test_fuzz.py`` runs every target for a bounded number of inputs as part of the suite.
"""
