"""python-troveclient as a library, over a keystoneauth1 session, for the tests.

Usage: trove-library.py <auth-json> <call> <args-json> <kwargs-json>
<auth-json> is {"auth_url", "project", "user", "password"} for keystoneauth1's
v3.Password plugin, or {"auth_url", "project", "token"} for its v3.Token
plugin (an existing token, exchanged at the identity endpoint).
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


def plugin(given):
    if 'token' in given:
        return v3.Token(auth_url=given['auth_url'], token=given['token'], project_name=given['project'],
                        project_domain_name='Default')
    return v3.Password(auth_url=given['auth_url'], username=given['user'], password=given['password'],
                       project_name=given['project'], user_domain_name='Default', project_domain_name='Default')


def main():
    given, call, args, kwargs = sys.argv[1:5]
    auth = plugin(json.loads(given))
    try:
        # the client logs in as it is made (it looks up its endpoint): a refused login raises here
        target = client.Client('1.0', session=session.Session(auth=auth))
        for part in call.split('.'):
            target = getattr(target, part)
        result = target(*json.loads(args), **json.loads(kwargs))
    except Exception as error:  # the test reads the class and the status
        sys.stderr.write(json.dumps({'exception': type(error).__name__, 'http_status': getattr(error, 'http_status', None), 'message': str(error)}) + '\n')
        sys.exit(1)
    print(json.dumps(plain(result)))


main()
