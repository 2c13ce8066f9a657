// The Auth stand-in's settings, read from supabase/config.toml's [auth] section with the Supabase
// CLI's defaults (the values its local GoTrue runs with when a key is absent).
import { parse as parseToml } from "smol-toml";

export interface AuthSettings {
  /** Access token lifetime in seconds (`jwt_expiry`). */
  jwtExpiry: number;
  /** `enable_signup` and `[auth.email] enable_signup`. */
  signupEnabled: boolean;
  /** `[auth.email] enable_confirmations`: false (the CLI's default) confirms at sign-up. */
  emailConfirmations: boolean;
  /** `enable_refresh_token_rotation`: a reused revoked token revokes its session's tokens. */
  refreshTokenRotation: boolean;
  /** `refresh_token_reuse_interval` (s): how long a revoked refresh token is still honoured. */
  refreshTokenReuseInterval: number;
  /** `minimum_password_length`. */
  minimumPasswordLength: number;
  /** `password_requirements`, as the character sets a password must each draw from. */
  requiredCharacters: string[];
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const SYMBOLS = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";

/** GoTrue's character sets for each `password_requirements` value. */
const REQUIREMENTS: Record<string, string[]> = {
  "": [],
  letters_digits: [LOWER + UPPER, DIGITS],
  lower_upper_letters_digits: [LOWER, UPPER, DIGITS],
  lower_upper_letters_digits_symbols: [LOWER, UPPER, DIGITS, SYMBOLS],
};

interface AuthToml {
  jwt_expiry?: number;
  enable_signup?: boolean;
  enable_refresh_token_rotation?: boolean;
  refresh_token_reuse_interval?: number;
  minimum_password_length?: number;
  password_requirements?: string;
  email?: { enable_signup?: boolean; enable_confirmations?: boolean };
}

export function authSettings(configToml: string): AuthSettings {
  const auth = ((parseToml(configToml) as { auth?: AuthToml }).auth ?? {}) as AuthToml;
  const requirement = auth.password_requirements ?? "";
  if (!(requirement in REQUIREMENTS)) throw new Error(`[auth] password_requirements: unknown value ${requirement}`);
  return {
    jwtExpiry: auth.jwt_expiry ?? 3600,
    signupEnabled: (auth.enable_signup ?? true) && (auth.email?.enable_signup ?? true),
    emailConfirmations: auth.email?.enable_confirmations ?? false,
    refreshTokenRotation: auth.enable_refresh_token_rotation ?? true,
    refreshTokenReuseInterval: auth.refresh_token_reuse_interval ?? 10,
    minimumPasswordLength: auth.minimum_password_length ?? 6,
    requiredCharacters: REQUIREMENTS[requirement],
  };
}
