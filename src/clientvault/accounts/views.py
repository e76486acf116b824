"""Sign-in, second factor, profile and user administration pages."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp import match_token

from clientvault.access.landing import landing_url
from clientvault.access.policies import CHANGE, CREATE, MANAGE_USERS, VIEW, allows
from clientvault.accounts import grants, selectors, services, throttle
from clientvault.accounts.forms import ApiTokenForm, LanguageForm, LoginForm, PasswordChangeForm, TokenForm, UserForm
from clientvault.accounts.models import User
from clientvault.core.context import Context, for_user
from clientvault.core.errors import DomainError, NotFound, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.web import channel_for, client_ip


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return landing_url(_ctx(request))


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes lockout: a translated page (or JSON for the API), same status for every account."""
    message = _("Too many failed sign-in attempts. Try again in 15 minutes or ask an administrator to unlock you.")
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429)
    form = LoginForm()
    return render(request, "accounts/login.html", {"form": form, "locked_message": message}, status=429)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        if throttle.address_blocked(_ctx(request).ip or ""):  # password spraying: the password is not even checked
            services.record_login_failure(ctx=_ctx(request), username=username, throttled=True)
            return lockout_response(request)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        locked = getattr(request, "axes_locked_out", False)
        if user is None or locked:
            services.record_login_failure(ctx=_ctx(request), username=username, locked=locked)
        if locked:
            return lockout_response(request)
        if user is None:
            form.add_error(None, _("The username or password is not correct."))
        else:
            auth_login(request, user)
            assert isinstance(user, User)
            ctx = for_user(user, channel=channel_for(request), request_id=_ctx(request).request_id, ip=client_ip(request))
            services.record_login(ctx=ctx, user=user, session_key=request.session.session_key or "")
            request.cv_ctx = ctx  # type: ignore[attr-defined]
            response = HttpResponseRedirect(_next_url(request))
            if user.language:
                translation.activate(user.language)
                response.set_cookie("cv_language", user.language, samesite="Lax", httponly=True)
            return response
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.record_logout(ctx=_ctx(request), session_key=request.session.session_key)
    auth_logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


def _rotate_session(request: HttpRequest, user: User) -> None:
    """A new session key once the second factor is passed: the pre-MFA session id (which may have leaked or been
    planted before the user proved the second factor) is no longer valid afterwards. Tracking follows the key."""
    old_key = request.session.session_key
    request.session.cycle_key()
    services.move_session(user=user, old_key=old_key, new_key=request.session.session_key)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_next_url(request))
    if services.confirmed_device(user) is None:
        return redirect("accounts:mfa_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].strip())
        services.record_mfa(ctx=_ctx(request), user=user, ok=device is not None)
        if device is not None:
            otp_login(request, device)
            _rotate_session(request, user)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", _("The code is not correct or has expired. Wait for the next code and try again."))
    return render(request, "accounts/mfa_verify.html", {"form": form})


def _qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if services.confirmed_device(user) is not None and not user.is_verified():  # type: ignore[attr-defined]
        return redirect("accounts:mfa_verify")
    device = services.start_totp_enrolment(ctx=_ctx(request), user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_enrolment(ctx=_ctx(request), user=user, token=form.cleaned_data["token"]):
            device.refresh_from_db()
            otp_login(request, device)
            _rotate_session(request, user)
            messages.success(request, _("Your authenticator app is set up."))
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", _("The code is not correct. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/mfa_setup.html", {"form": form, "qr": _qr_data_uri(device.config_url), "secret": secret})


def _token_form(ctx: Context, data: Any = None) -> ApiTokenForm:
    """The token form offers the purposes the user's policies grant, and no longer a life than allowed."""
    from clientvault.access.engine import allowed_purposes
    from clientvault.access.models import Purpose

    language = translation.get_language()
    purposes = [(p.code, p.name(language)) for p in Purpose.objects.filter(code__in=allowed_purposes(ctx))]
    assert ctx.actor is not None
    return ApiTokenForm(data, prefix="tok", purposes=purposes, max_days=services.token_max_days(ctx.actor))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    ctx = _ctx(request)
    password_form = PasswordChangeForm(prefix="pw")
    token_form = _token_form(ctx)
    language_form = LanguageForm(prefix="lang", initial={"language": user.language or translation.get_language()})
    new_secret = ""
    action = request.POST.get("action")
    response_language = None
    if request.method == "POST":
        try:
            if action == "password":
                password_form = PasswordChangeForm(request.POST, prefix="pw")
                if password_form.is_valid():
                    services.change_password(
                        ctx=ctx,
                        user=user,
                        old_password=password_form.cleaned_data["old_password"],
                        new_password=password_form.cleaned_data["new_password"],
                    )
                    old_key = request.session.session_key
                    update_session_auth_hash(request, user)  # rotates the session key
                    services.move_session(user=user, old_key=old_key, new_key=request.session.session_key)
                    messages.success(request, _("Your password was changed."))
                    return redirect("accounts:profile")
            elif action == "token":
                token_form = _token_form(ctx, request.POST)
                if token_form.is_valid():
                    _token, new_secret = services.create_api_token(
                        ctx=ctx,
                        name=token_form.cleaned_data["name"],
                        days=token_form.cleaned_data["days"],
                        purposes=token_form.cleaned_data["purposes"],
                    )
                    token_form = _token_form(ctx)
            elif action == "revoke":
                services.revoke_api_token(ctx=ctx, token_id=request.POST.get("token_id"))
                messages.success(request, _("The token was revoked."))
                return redirect("accounts:profile")
            elif action == "language":
                language_form = LanguageForm(request.POST, prefix="lang")
                if language_form.is_valid():
                    response_language = language_form.cleaned_data["language"]
                    services.set_language(ctx=ctx, user=user, language=response_language)
        except ValidationFailed as exc:
            apply_errors(password_form if action == "password" else token_form, exc, prefix_map={"new_password": "new_password"})
        except NotFound as exc:
            messages.error(request, str(exc))
    context = {
        "password_form": password_form,
        "token_form": token_form,
        "language_form": language_form,
        "tokens": selectors.tokens_of(user),
        "new_secret": new_secret,
        "mfa_enrolled": services.confirmed_device(user) is not None,
    }
    response = render(request, "accounts/profile.html", context)
    if response_language:
        response = redirect("accounts:profile")
        response.set_cookie("cv_language", response_language, samesite="Lax", httponly=True)
    return response


def _tell_pending(request: HttpRequest, user: User) -> None:
    if grants.pending_codes(user):
        messages.info(request, _("Roles that grant customer data take effect when a compliance officer approves them."))


def _require_admin(request: HttpRequest, action: str) -> None:
    if not allows(_ctx(request).roles, MANAGE_USERS, action):
        raise Http404


@require_safe
@login_required
def users(request: HttpRequest) -> HttpResponse:
    _require_admin(request, VIEW)
    return render(request, "accounts/users.html", {"users": selectors.staff_list()})


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request, CREATE)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password")
        try:
            created = services.create_user(ctx=_ctx(request), data=data, password=password)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The user was created."))
            _tell_pending(request, created)
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_admin(request, CHANGE)
    target = User.objects.filter(pk=user_id).select_related("department").first()
    if target is None:
        raise Http404
    initial = {
        "username": target.username,
        "display_name": target.display_name,
        "email": target.email,
        "department_id": str(target.department_id or ""),
        "roles": target.role_codes(),
    }
    form = UserForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "deactivate":
                services.deactivate_user(ctx=_ctx(request), user_id=target.pk)
                messages.success(request, _("The user was deactivated and signed out everywhere."))
                return redirect("accounts:users")
            if request.POST.get("action") == "reactivate":
                services.reactivate_user(ctx=_ctx(request), user_id=target.pk)
                messages.success(request, _("The user was reactivated."))
                return redirect("accounts:users")
            if form.is_valid():
                services.update_user(ctx=_ctx(request), user_id=target.pk, data=dict(form.cleaned_data))
                messages.success(request, _("The user was saved."))
                _tell_pending(request, target)
                return redirect("accounts:users")
        except ValidationFailed as exc:
            apply_errors(form, exc)
            if "user" in exc.fields:
                messages.error(request, " ".join(str(m) for m in exc.fields["user"]))
        except DomainError as exc:
            messages.error(request, str(exc))
    return render(request, "accounts/user_form.html", {"form": form, "creating": False, "target": target})
