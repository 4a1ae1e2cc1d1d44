import {
  type CreationOptional,
  DataTypes,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize'

/**
 * A person who signs in. Deleting a user is soft (`deleted_at`), so the usage
 * and activity that name their id keep pointing at a row.
 */
export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>
  declare ulid: string
  declare name: string
  declare email: string
  declare password_hash: string
  declare is_admin: CreationOptional<boolean>
  declare created_at: CreationOptional<Date>
  declare updated_at: CreationOptional<Date>
  declare deleted_at: CreationOptional<Date | null>
}

/** A bearer token; only the sha256 of its secret is stored. */
export class ApiToken extends Model<InferAttributes<ApiToken>, InferCreationAttributes<ApiToken>> {
  declare id: CreationOptional<number>
  declare user_id: ForeignKey<User['id']>
  declare name: string
  declare token_hash: string
  declare abilities: CreationOptional<string[] | null>
  declare last_used_at: CreationOptional<Date | null>
  declare revoked_at: CreationOptional<Date | null>
  declare created_at: CreationOptional<Date>

  declare user?: NonAttribute<User>
}

export interface AccountModels {
  User: typeof User
  ApiToken: typeof ApiToken
}

/**
 * Binds fresh subclasses of the models to one connection, so two databases
 * open in one process (tests do this) never share a binding. The tables
 * themselves come from the migrations.
 */
export function registerModels(sequelize: Sequelize): AccountModels {
  const BoundUser = class extends User {}
  const BoundApiToken = class extends ApiToken {}

  BoundUser.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      ulid: { type: DataTypes.CHAR(26), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      email: { type: DataTypes.STRING(255), allowNull: false },
      password_hash: { type: DataTypes.STRING(255), allowNull: false },
      is_admin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
      deleted_at: DataTypes.DATE,
    },
    {
      sequelize,
      tableName: 'users',
      modelName: 'User',
      underscored: true,
      timestamps: true,
      paranoid: true,
      createdAt: 'created_at',
      updatedAt: 'updated_at',
      deletedAt: 'deleted_at',
    },
  )

  BoundApiToken.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      token_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
      abilities: { type: DataTypes.JSONB, allowNull: true },
      last_used_at: DataTypes.DATE,
      revoked_at: DataTypes.DATE,
      created_at: DataTypes.DATE,
    },
    {
      sequelize,
      tableName: 'api_tokens',
      modelName: 'ApiToken',
      underscored: true,
      timestamps: true,
      createdAt: 'created_at',
      updatedAt: false,
    },
  )

  BoundUser.hasMany(BoundApiToken, { foreignKey: 'user_id', as: 'tokens' })
  BoundApiToken.belongsTo(BoundUser, { foreignKey: 'user_id', as: 'user' })

  return { User: BoundUser, ApiToken: BoundApiToken }
}
