"""A web process reads stored pairs and explains them from stored profiles: it never imports the fitting
half of the engine (scikit-learn; about 65 MB per process), which only the workers load."""

import subprocess
import sys

CHECK = """
import sys
from config import TestConfig
from matchmaker import create_app
from matchmaker.matching import Profile, explain_profiles
app = create_app(TestConfig)
profile = Profile("nl", {"bus": (0.5, "bussen")}, ("34144910",), (), (), ())
assert explain_profiles(profile, profile).score > 0
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(("sklearn", "threadpoolctl"))}))
"""


def test_the_app_and_explanations_load_no_scikit_learn():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
