from matchmaker.pagination import paginate_list


def test_pages_slice_the_list_and_clamp_the_page_number():
    items = list(range(1, 106))
    first = paginate_list(items, 1, 50)
    assert first.items == list(range(1, 51)) and first.pages == 3
    assert (first.has_prev, first.has_next, first.next_num) == (False, True, 2)
    last = paginate_list(items, 99, 50)
    assert last.page == 3 and last.items == list(range(101, 106)) and last.prev_num == 2 and not last.has_next
    assert paginate_list(items, -4, 50).page == 1


def test_an_empty_list_has_one_empty_page():
    page = paginate_list([], 3, 20)
    assert (page.page, page.pages, page.items, page.has_next) == (1, 1, [], False)


def test_page_numbers_elide_long_gaps():
    page = paginate_list(list(range(200)), 10, 10)
    assert list(page.iter_pages()) == [1, 2, None, 8, 9, 10, 11, 12, None, 19, 20]
    assert list(paginate_list(list(range(30)), 1, 10).iter_pages()) == [1, 2, 3]
