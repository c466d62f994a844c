"""The web pages for people: sign-in, start pages, timelines, forms, agendas (issue 7).

Server-rendered Jinja pages on the same Flask app as the API, reading child data only
through the same use cases (with the signed-in person's Actor), so the pages can never
show more than the API would. ``services.web.app.init_web`` wires them in.
"""
