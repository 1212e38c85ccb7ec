"""python-troveclient as a library, over a keystoneauth1 session, for the tests.

Usage: trove-library.py <auth_url> <user> <password> <project> <call> <args-json> <kwargs-json>
<call> is a dotted path on the client (e.g. "instances.create"). Prints the
result's _info (lists and dicts of resources included) as JSON; on an
exception prints {"exception": class, "http_status": n, "message": text} to
stderr and exits 1.
"""
import json
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from troveclient import client


def plain(value):
    if hasattr(value, '_info'):
        return value._info
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def main():
    auth_url, user, password, project, call, args, kwargs = sys.argv[1:8]
    auth = v3.Password(auth_url=auth_url, username=user, password=password, project_name=project,
                       user_domain_name='Default', project_domain_name='Default')
    trove = client.Client('1.0', session=session.Session(auth=auth))
    target = trove
    for part in call.split('.'):
        target = getattr(target, part)
    try:
        result = target(*json.loads(args), **json.loads(kwargs))
    except Exception as error:  # the test reads the class and the status
        sys.stderr.write(json.dumps({'exception': type(error).__name__, 'http_status': getattr(error, 'http_status', None), 'message': str(error)}) + '\n')
        sys.exit(1)
    print(json.dumps(plain(result)))


main()
