"use client";

/**
 * Sign up: an email address and a password. Any address that is well formed
 * leads to "check your inbox", taken or not, as the service answers; a
 * refused password is explained beside its field, and never shown again.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";

import { Field, Form, Submit, useForm } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { signUp } from "@/lib/auth";

const FIELDS = ["email", "password"];

export function SignUpForm() {
  const { t } = useI18n();
  const router = useRouter();
  const form = useForm();

  async function onValues({ email = "", password = "" }: Record<string, string>) {
    const outcome = await signUp(email, password);
    if (outcome.kind === "check-inbox") {
      router.push("/check-inbox");
      return;
    }
    form.setErrors(outcome.errors);
  }

  return (
    <>
      <h1>{t("signup.title")}</h1>
      <Form form={form} fields={FIELDS} onValues={onValues}>
        <Field name="email" type="email" label={t("field.email")} autoComplete="email" errors={form.errors} />
        <Field
          name="password"
          type="password"
          label={t("field.password")}
          hint={t("field.passwordHint")}
          autoComplete="new-password"
          errors={form.errors}
        />
        <p className="actions">
          <Submit busy={form.busy}>{t("signup.submit")}</Submit>
        </p>
      </Form>
      <p>
        {t("signup.haveAccount")} <Link href="/signin">{t("nav.signin")}</Link>
      </p>
    </>
  );
}
