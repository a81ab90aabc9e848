"""The cumulative completions chart: plain numbers, no drawing code."""

from __future__ import annotations

from datetime import date

from ecampus.institutions.chart import BOTTOM, LEFT, RIGHT, TOP, completion_chart, sample_days


def test_sample_days_span_start_to_end_without_repeats():
    days = sample_days(date(2030, 1, 1), date(2030, 1, 31), 10)
    assert days[0] == date(2030, 1, 1) and days[-1] == date(2030, 1, 31)
    assert len(days) == 10 and days == sorted(set(days))


def test_short_span_gives_one_sample_per_day():
    assert sample_days(date(2030, 1, 1), date(2030, 1, 3), 10) == [
        date(2030, 1, 1), date(2030, 1, 2), date(2030, 1, 3)]


def test_no_completions_means_no_chart():
    assert completion_chart([], date(2030, 1, 1), date(2030, 2, 1)) is None


def test_chart_counts_completions_cumulatively():
    chart = completion_chart([date(2030, 1, 2), date(2030, 1, 2), date(2030, 1, 4)],
                             date(2030, 1, 1), date(2030, 1, 5))
    assert [(p.day.day, p.total) for p in chart.points] == [(1, 0), (2, 2), (3, 2), (4, 3),
                                                            (5, 3)]
    assert chart.maximum == 3


def test_chart_points_fit_the_plot_area():
    chart = completion_chart([date(2030, 1, 10)], date(2030, 1, 1), date(2030, 3, 1))
    assert chart.first.x == LEFT and chart.last.x == RIGHT
    assert chart.first.y == BOTTOM and chart.last.y == TOP
    assert chart.polyline.count(",") == len(chart.points)


def test_completions_all_on_one_day_rise_from_the_day_before():
    chart = completion_chart([date(2030, 1, 5)] * 2, date(2030, 1, 5), date(2030, 1, 5))
    assert [(p.day.day, p.total) for p in chart.points] == [(4, 0), (5, 2)]
