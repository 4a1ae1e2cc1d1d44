import { addActivityEntry } from '../activity/activity-log.js'
import type { Database } from '../postgres/database.js'
import type { User } from './models.js'
import { createToken, type IssuedToken, revokeToken } from './tokens.js'

/**
 * Issues a token and logs `token.created` in the owner's history, in one
 * transaction: a token never exists without its entry, nor the reverse.
 */
export function issueLoggedToken(
  db: Database,
  user: User,
  name: string,
  abilities: string[] = [],
): Promise<IssuedToken> {
  return db.sequelize.transaction(async (transaction) => {
    const options = { transaction, abilities: abilities.length > 0 ? abilities : undefined }
    const issued = await createToken(db, user, name, options)
    await addActivityEntry(
      db,
      {
        user_id: user.id,
        event: 'token.created',
        description: `Created API token "${issued.token.name}"`,
        subject_type: 'api_token',
        subject_id: issued.token.id,
        properties: { name: issued.token.name, abilities },
      },
      { transaction },
    )
    return issued
  })
}

/**
 * Revokes a user's token and logs `token.revoked`, in one transaction. A token
 * already revoked (a repeated request racing the first) logs nothing.
 */
export function revokeLoggedToken(db: Database, userId: number, tokenId: number): Promise<boolean> {
  return db.sequelize.transaction(async (transaction) => {
    if (!(await revokeToken(db, tokenId, { transaction }))) return false
    await addActivityEntry(
      db,
      {
        user_id: userId,
        event: 'token.revoked',
        description: `Revoked API token #${tokenId}`,
        subject_type: 'api_token',
        subject_id: tokenId,
      },
      { transaction },
    )
    return true
  })
}
