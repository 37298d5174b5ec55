# Providers for Vitrine's scale-out infrastructure: Google Cloud (image bucket, Cloud SQL) and Pinecone.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    pinecone = {
      source  = "pinecone-io/pinecone"
      version = "~> 2.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# Reads PINECONE_API_KEY from the environment; only needed when vector_store = "pinecone".
provider "pinecone" {}
