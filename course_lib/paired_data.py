"""Paired multimodal data for retrieval (notebooks 06-08): filled in by that work.

``SPECS`` lists ``(name, modality, reader, card)`` tuples that :mod:`course_lib.data` registers.
"""
SPECS: list = []
