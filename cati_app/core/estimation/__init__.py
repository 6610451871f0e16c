"""Estimates a statistician would sign (issue 16, DESIGN.md §9.2): weights, means and shares
with 95% intervals from a survey-statistics library, small-cell rules, comparisons flagged
after false-discovery-rate control, and the scorecard built from them. No database here:
the server gathers respondent rows and calls ``scorecard.build``."""
