"""The test client the suite uses: `force_login` stands for a whole sign-in.

A real sign-in of a staff account asks for the authenticator code, and the session
remembers it (accounts.permissions). `force_login` skips the forms, so it records the
second factor too, unless a test asks for a session that never typed a code
(`second_factor=False`). The doors themselves are tested through their forms.
"""

from django import test

from accounts import permissions


class Client(test.Client):
    def force_login(self, user, backend=None, *, second_factor=True):
        super().force_login(user, backend)
        if second_factor:
            session = self.session
            permissions.record_second_factor(session, user, how="test")
            session.save()


# What a real visit sends: pages count visits only from browsers (robots are left out),
# so query counts measured without it would leave the visit counter out.
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
