"""One SQL repository per aggregate; storage/uow.py hands them out as typed attributes."""
