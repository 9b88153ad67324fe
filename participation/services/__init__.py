"""Every write of the participation domain, one function per action (comments.py, polls.py…)."""
