"""Phrase banks of the simulated world, kept apart from the code that composes with them.

``service_texts``: what service systems write (fault texts, parts, centres).
``symptoms``: how owners describe each failure mode, in Chinese and English.
``story``: the rest of a complaint (repair counts, lost data, service, emotion, tags).
``chatter``: background posts and the viral burst.
``aliases``: the names people and posting clients give each phone.
"""
