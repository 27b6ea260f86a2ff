"""Generators for the worked applications of notebook 04 (filled in by that notebook's work).

``SPECS`` lists ``(name, modality, reader, card)`` tuples that :mod:`course_lib.data` registers.
"""
SPECS: list = []
