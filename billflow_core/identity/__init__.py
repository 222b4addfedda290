"""Who is asking: the identity hash, the visitor it proves, page tokens and the page's own
options they carry, and email sign-in for pages that cannot name their visitor.
"""
