"""The user's calendars: ICS files and private iCal addresses, read to name meetings.

ics.py turns a calendar's text into events (recurrences, time zones, cancelled instances);
sources.py keeps the calendars the user added, fetches them and caches what was fetched.
"""
