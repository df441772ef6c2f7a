"""Money: tariffs, bills, discounting, NPV, payback and LCOS — pure functions on arrays.

Every amount is in one currency, named by the caller (the scenario's ``[economics] currency``);
these functions never convert or mix currencies.
"""
