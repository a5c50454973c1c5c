"""Cupping sheets and green-grading reports (see cupping/ for the domain)."""
