"""Korean dates: Django writes "2026년 12월 7일 2:05 오전"; Korean puts 오전
and 오후 before the time, as its own TIME_FORMAT does."""

from django.conf.locale.ko.formats import *  # noqa: F403

DATETIME_FORMAT = "Y년 n월 j일 A g:i"
