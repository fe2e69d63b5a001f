"use client";

/**
 * Sign in with the email address and password. Then, for an account with a
 * second factor, its step; for an address not verified yet, "check your
 * inbox" (the service mails a new link). A wrong password and an unknown
 * address get the same error from the service.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";

import { Field, Form, Notice, Submit, useForm } from "@/components/forms";
import { useI18n, type Translate } from "@/components/I18nProvider";
import { signIn } from "@/lib/auth";

const FIELDS = ["email", "password"];

export type SignInReason = "ended" | "signed-out" | "required" | "restart" | "reset";

function reasonText(t: Translate, reason: SignInReason): string {
  switch (reason) {
    case "ended":
      return t("signin.reason.ended");
    case "signed-out":
      return t("signin.reason.signedOut");
    case "required":
      return t("signin.reason.required");
    case "restart":
      return t("signin.reason.restart");
    case "reset":
      return t("reset.done");
  }
}

export function SignInForm({ reason }: { reason?: SignInReason }) {
  const { t } = useI18n();
  const router = useRouter();
  const form = useForm();

  async function onValues({ email = "", password = "" }: Record<string, string>) {
    const outcome = await signIn(email, password);
    switch (outcome.kind) {
      case "signed-in":
        router.push("/account");
        return;
      case "second-factor":
        router.push("/signin/second-factor");
        return;
      case "verify-email":
        router.push("/check-inbox?reason=unverified");
        return;
      case "refused":
        form.setErrors(outcome.errors);
    }
  }

  return (
    <>
      <h1>{t("signin.title")}</h1>
      {reason && (
        <Notice>
          <p>{reasonText(t, reason)}</p>
        </Notice>
      )}
      <Form form={form} fields={FIELDS} onValues={onValues}>
        <Field name="email" type="email" label={t("field.email")} autoComplete="username" errors={form.errors} />
        <Field
          name="password"
          type="password"
          label={t("field.password")}
          autoComplete="current-password"
          errors={form.errors}
        />
        <p className="actions">
          <Submit busy={form.busy}>{t("signin.submit")}</Submit>
          <Link href="/forgot-password">{t("signin.forgot")}</Link>
        </p>
      </Form>
      <p>
        {t("signin.noAccount")} <Link href="/signup">{t("nav.signup")}</Link>
      </p>
    </>
  );
}
