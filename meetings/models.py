from meetings.appraisal.models import *  # noqa: F401,F403  (democratic appraisal)
