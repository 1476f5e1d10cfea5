"""Token strings and prefix indices (rnnsim.strings; THEORY §1): s_n is n's base-b expansion
with the first token most significant, prefix_index is its inverse, the documents of
all_documents are s_0, s_1, … in order, and by_prefix reads an all-documents matrix per prefix."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsim import all_documents
from rnnsim.strings import all_strings, by_prefix, nth_string, prefix_index


def test_first_token_is_the_most_significant_digit():
    assert nth_string(1, 3) == (0, 0, 1)
    assert nth_string(6, 3) == (1, 1, 0)
    assert nth_string(5, 2, 3) == (1, 2)          # 5 = 1·3 + 2
    assert prefix_index((1, 0, 0)) == 4 and prefix_index((2, 1), 3) == 7
    assert nth_string(0, 0) == () and prefix_index(()) == 0


@pytest.mark.parametrize("b,length", [(2, 1), (2, 4), (3, 1), (3, 3), (4, 2)])
def test_strings_are_the_documents_in_order_and_the_index_inverts_them(b, length):
    docs = all_documents(b, length)
    strings = all_strings(length, b)
    assert [tuple(int(t) for t in row) for row in docs] == strings
    for n, s in enumerate(strings):
        assert prefix_index(s, b) == n
        assert sum(t * b ** (length - 1 - i) for i, t in enumerate(s)) == n   # the definition


def test_index_outside_the_strings_is_refused():
    with pytest.raises(ValueError, match="string index 4"):
        nth_string(4, 2)
    with pytest.raises(ValueError):
        nth_string(-1, 2)


@pytest.mark.parametrize("b,N", [(2, 4), (3, 3)])
def test_by_prefix_reads_the_value_after_every_prefix_in_index_order(b, N):
    docs = all_documents(b, N)
    # a matrix whose entry depends only on the prefix x_≤m: 100·index(x_≤m) + m
    M = np.array([[100 * prefix_index(row[:m], b) + m for m in range(1, N + 1)] for row in docs])
    for m in range(1, N + 1):
        assert list(by_prefix(M, m, b)) == [100 * P + m for P in range(b ** m)]
    with pytest.raises(ValueError, match="prefix length 0"):
        by_prefix(M, 0, b)
