"""Tests of packlife.control."""
