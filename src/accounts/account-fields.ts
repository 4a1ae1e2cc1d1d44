import { z } from 'zod'
import { isStorableString, storableTextRule } from '../storable-text.js'

/** A user's fields, by the rules every way of creating or changing one applies. */
export const userFields = {
  name: z.string().trim().min(1).max(255).refine(isStorableString, storableTextRule),
  email: z.string().trim().max(255).pipe(z.email()),
  is_admin: z.boolean(),
  password: z.string().min(8).max(200),
}

/** A token's name, the label its owner tells it apart by. */
export const tokenName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(isStorableString, storableTextRule)
