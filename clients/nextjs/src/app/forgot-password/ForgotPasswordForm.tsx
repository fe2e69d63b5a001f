"use client";

/**
 * Ask for a link to choose a new password. The answer is the same whether
 * or not an account uses the address (the service mails the address either
 * way), so the page says "if".
 */
import Link from "next/link";
import { useState } from "react";

import { Field, Form, Notice, Submit, useForm } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { requestPasswordReset } from "@/lib/auth";

const FIELDS = ["email"];

export function ForgotPasswordForm() {
  const { t } = useI18n();
  const form = useForm();
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function onValues({ email = "" }: Record<string, string>) {
    const errors = await requestPasswordReset(email);
    form.setErrors(errors);
    if (errors.length === 0) setSentTo(email);
  }

  return (
    <>
      <h1>{t("forgot.title")}</h1>
      {sentTo === null ? (
        <>
          <p>{t("forgot.prompt")}</p>
          <Form form={form} fields={FIELDS} onValues={onValues}>
            <Field name="email" type="email" label={t("field.email")} autoComplete="email" errors={form.errors} />
            <p className="actions">
              <Submit busy={form.busy}>{t("forgot.submit")}</Submit>
            </p>
          </Form>
        </>
      ) : (
        <Notice>
          <p>{t("forgot.sent", { email: sentTo })}</p>
        </Notice>
      )}
      <p>
        <Link href="/signin">{t("forgot.back")}</Link>
      </p>
    </>
  );
}
