"""`counted`: a function that counts its own calls, for the tests that check how many
times a derivative runs f (once per pass: the forward ones carry every direction)."""


def counted(f):
    """f, counting its calls in ``.calls``."""

    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return f(*args, **kwargs)

    wrapper.calls = 0
    return wrapper
