"""Shared Chinese-text tools the stages use: the Simplified fold (textfold), the one tokenizer
(tokenize), portal dates (dates), regex first-character sets (rxfirst); and two per-document
extractions that work on plain text: keywords/topics (keywords) and cited documents (citations).
"""
