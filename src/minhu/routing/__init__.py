"""Routing: the category catalog, the classifier, grading and the responsibility matrix that choose who acts."""
