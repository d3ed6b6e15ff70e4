"""Application factory of the council portal."""

import os
import secrets
from pathlib import Path

from flask import Flask

from app import urls
from app.extensions import MigrateCommands, compress, csrf, db, htmx

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build and configure the Flask application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'portal.db'}",
        VIEW_POLL_SECONDS=10,
        # Each worker keeps rendered public pages, per content version, up to this many bytes
        PAGE_CACHE_MAX_BYTES=4 * 1024 * 1024,
        # Longest wait for the database's write lock when counting a view or checking /healthz;
        # past it the view is not counted (logged, metrics) and the page served all the same
        DB_WRITE_WAIT_MS=500,
        ARTICLES_PER_PAGE=20,
        SITE_NAME="国际贸易促进委员会",
        SITE_SUBTITLE="Council for the Promotion of International Trade",
        # The government-site frame (header and footer of every public page); an empty
        # footer setting hides its line. The demo values are placeholders to replace.
        SITE_LOGO="favicon.svg",  # a file under static/, or an address on this site (/media/…)
        SITE_ORGANIZER="国际贸易促进委员会",  # 主办单位
        SITE_ADDRESS="北京市西城区复兴门外大街1号",  # 地址
        SITE_PHONE="010-12345678",  # 电话
        SITE_OFFICE_HOURS="工作日 9:00—12:00，13:30—17:00",  # 办公时间
        SITE_ICP_NUMBER="京ICP备00000000号-1",  # ICP备案号, linked to beian.miit.gov.cn
        SITE_PSB_NUMBER="京公网安备11010202000001号",  # 公安机关备案号, linked to beian.mps.gov.cn
        SITE_ID_CODE="1100000001",  # 网站标识码 (from the government-website registry)
        # The home page: the highlighted strip of notices and the row of service entries.
        HOME_NOTICE_SECTION="",  # a section slug; empty: the section named 通知公告, else the first
        SERVICE_ENTRIES=[  # {name, url, description?}; FLASK_SERVICE_ENTRIES takes JSON
            {"name": "原产地证书", "url": "/search?q=原产地证书", "description": "申领流程"},
            {"name": "ATA单证册", "url": "/search?q=ATA单证册", "description": "展品暂时进出境"},
            {"name": "商事调解", "url": "/search?q=调解", "description": "涉外商事纠纷调解"},
            {"name": "法律咨询", "url": "/consult", "description": "在线留言，专人答复"},
        ],
        HSTS_SECONDS=31536000,
        TRUST_PROXY=0,  # how many reverse proxies set X-Forwarded-*; 0 trusts none
        TRUST_PROXY_HOST=0,  # ... of which set X-Forwarded-Host (0: the Host header counts)
        # Host names a request may carry (Flask's setting; a leading dot: any subdomain);
        # None: SITE_URL's host, localhost and 127.0.0.1. Any other Host gets 400.
        TRUSTED_HOSTS=None,
        # Operations (app/ops): who may read /metrics, the log format, where backups go.
        METRICS_ALLOW="127.0.0.1 ::1",  # addresses/networks that may read /metrics
        METRICS_TOKEN="",  # or any client sending "Authorization: Bearer <token>"
        LOG_FORMAT="text",  # "json": one JSON object per log line
        BACKUP_DIR=str(Path(app.instance_path) / "backups"),  # `backup` writes, `status` reads
        # Errors never print a statement's values (a visitor's phone, say) into the log.
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True},
        MAX_CONTENT_LENGTH=64 * 1024,  # any request; views marked takes_uploads allow more
        MEDIA_MAX_BYTES=10 * 1024 * 1024,  # one uploaded image or attachment
        UPLOAD_MAX_REQUEST_BYTES=32 * 1024 * 1024,  # one request that carries files
        MEDIA_IMAGE_MAX_WIDTH=1600,  # wider images are scaled down to this many pixels
        CONSULT_MIN_FILL_SECONDS=3,  # a consultation sent faster than this must be sent again
        CONSULT_RATE_LIMIT="5 per 10 minutes",  # valid consultations per client IP
        CONSULT_LOOKUP_LIMIT="30 per minute",  # receipt lookups (回执查询) per client IP
        RETENTION_DAYS=365,  # answered/closed messages lose their personal data after this
        SPAM_RETENTION_DAYS=30,  # messages filed as spam are deleted after this
        PRIVACY_CONTACT="",  # how to reach the council about personal data, on 隐私声明
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # None: Secure and named __Host-session when PREFERRED_URL_SCHEME is https or the
        # request came over HTTPS (through a trusted proxy too); true/false decide alone
        SESSION_COOKIE_SECURE=None,
        PERMANENT_SESSION_LIFETIME=2 * 3600,  # an admin session ends after 2 idle hours
        SESSION_ABSOLUTE_HOURS=12,  # ... and 12 hours after signing in, however busy
        WTF_CSRF_TIME_LIMIT=None,  # CSRF tokens live as long as the session that holds them
        LOGIN_FAILURE_LIMIT="10 per 15 minutes",  # failed sign-ins per account from one IP
        LOGIN_ADDRESS_LIMIT="30 per 15 minutes",  # failed sign-ins per IP, whatever the account
        # Past this many failures of an account (from anywhere) in LOGIN_FAILURE_LIMIT's window,
        # an address that failed on it waits 1, 2, 4 … s between guesses (at most the maximum)
        LOGIN_ACCOUNT_DELAY_AFTER=10,
        LOGIN_DELAY_MAX_SECONDS=300,
        ADMIN_POLL_SECONDS=15,  # how often the admin header refreshes its 待处理/已超时 counts
        REPLY_WORKING_HOURS=False,  # True: the 24-hour promise counts Chinese working days only
        SITE_URL="http://127.0.0.1:5000",  # the public address that links in e-mails start with
        MAIL_SERVER="",  # SMTP host; empty: mail stays queued in the outbox (邮件未配置)
        MAIL_PORT=25,
        MAIL_USE_TLS=False,  # STARTTLS after connecting (usually port 587)
        MAIL_USE_SSL=False,  # TLS from the start (usually port 465)
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_DEFAULT_SENDER="",  # "贸促会 <noreply@example.org.cn>"; empty: noreply@ + host
        MAIL_MAX_ATTEMPTS=8,  # a mail is given up (and shown on /admin/mail) after this many tries
        MAIL_POLL_SECONDS=30,  # how often `send-mail --loop` looks for mail to send
        REMINDER_HOURS_BEFORE=4,  # 负责人 are reminded this many hours before a reply is due
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    urls.init_app(app)  # the <id:…> and <page:…> converters, before any rule is added
    db.init_app(app)
    app.cli.add_command(MigrateCommands())  # `flask db …`; Alembic loads only when it runs
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)

    from app import (
        admin,
        articles,
        assets,
        cli,
        errors,
        feeds,
        mail,
        media,
        ops,
        pagecache,
        search,
        sections,
        security,
        staff,
        templating,
        wording,
    )
    from app.consult.routes import bp as consult_bp
    from app.ops.routes import bp as ops_bp
    from app.public.routes import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(consult_bp)
    admin.init_app(app)
    for feature in (articles, feeds, mail, media, ops, search, sections, staff, wording):
        feature.init_app(app)
    assets.init_app(app)
    pagecache.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first use.

    Every gunicorn worker must sign with the same key, so a random key per process
    will not do; a deployment sets ``FLASK_SECRET_KEY`` instead.
    """
    key_file = instance / "secret_key"
    if not key_file.exists():
        draft = instance / f".secret_key.{os.getpid()}"
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, key_file)  # atomic: the first worker's key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text().strip()
