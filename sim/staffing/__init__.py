"""Staffing and server sizing: agents per interval, an optimal shift roster, back-end instances.

requirements (Erlang C/A pre-screen with shrinkage and occupancy caps) <- search (simulation
search over sampled traffic, backlog carried) <- shifts (roster integer program) <- plan (the
whole `fansim staff` answer); measurements (load report, profile CSV) <- servers (`fansim
size-servers`); tables turn both into rows and files; targets parses planners' targets;
theory checks the search against Erlang C/A on stationary queues.
"""
