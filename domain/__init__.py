"""The rules of StudySync. Imports neither aiohttp, socketio nor sqlalchemy."""
