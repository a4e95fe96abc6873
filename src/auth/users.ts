/**
 * @module
 * Accounts, and the auth feature's port to its database (src/db/users.ts implements it).
 */

/** What an account may do: every account is a `user`; an `admin` also edits the catalogue and runs cache operations. */
export type Role = "user" | "admin";

export interface User {
  id: string;
  email: string;
  roles: Role[];
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithPassword extends User {
  passwordHash: string;
}

export interface UserRepository {
  findByEmail(email: string): Promise<UserWithPassword | undefined>;
  findById(id: string): Promise<User | undefined>;
  /** Undefined when the email is taken (the unique index decides, so concurrent registrations cannot both win). */
  create(input: { email: string; passwordHash: string; roles: Role[] }): Promise<User | undefined>;
  update(id: string, changes: { passwordHash?: string; roles?: Role[] }): Promise<void>;
  delete(id: string): Promise<void>;
}
