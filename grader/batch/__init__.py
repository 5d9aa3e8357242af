"""Instructor batch grading: find submissions, grade them in parallel, write the gradebook."""
